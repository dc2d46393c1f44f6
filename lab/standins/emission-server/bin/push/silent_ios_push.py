"""Lab stand-in for the iOS silent push: logs one line per run."""
import sys, time
print("%s silent push stand-in, interval %s s" % (time.strftime("%FT%T"), sys.argv[1] if len(sys.argv) > 1 else "?"))
