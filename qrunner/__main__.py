from qrunner.cli.main import main

main()
