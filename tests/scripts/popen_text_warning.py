"""subprocess.run(text=True) without an encoding, under PYTHONWARNDEFAULTENCODING=1: each
call's EncodingWarning names this file's line (test_subprocess.test_encoding_warning)."""
import subprocess

subprocess.run(["true"], text=True)
subprocess.check_output(["echo", "hello"], text=True)
print("done")
