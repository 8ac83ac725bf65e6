from callscrub.cli import main

main()
