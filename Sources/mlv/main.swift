import MLVCLI
