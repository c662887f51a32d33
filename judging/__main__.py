from judging.cli import main

raise SystemExit(main())
