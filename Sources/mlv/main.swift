import MLVCLI

MLVCommand.main()
