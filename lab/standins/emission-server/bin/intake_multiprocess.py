"""Lab stand-in for the intake pipeline: logs one line per run."""
import sys, time
print("%s intake stand-in with %s processes" % (time.strftime("%FT%T"), sys.argv[1] if len(sys.argv) > 1 else 1))
