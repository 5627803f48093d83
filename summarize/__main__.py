from summarize._cli import main

raise SystemExit(main())
