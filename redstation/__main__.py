from redstation.cli import main

raise SystemExit(main())
