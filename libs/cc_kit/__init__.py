"""Campus Careers shared kit: infrastructure only (config, database, auth, events, HTTP plumbing)."""
import warnings

# nameko 2 needs eventlet; its import-time deprecation notice would otherwise open every process's log.
warnings.filterwarnings("ignore", message=r"\s*Eventlet is deprecated")
