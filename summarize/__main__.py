from summarize.cli import main

raise SystemExit(main())
