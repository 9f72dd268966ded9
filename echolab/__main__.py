from echolab.cli import main

raise SystemExit(main())
