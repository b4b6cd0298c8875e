"""Runs lambda_function.py as a Coffer command rotation function: the step's event on stdin,
logs on stderr (the server's log); an exception exits non-zero, failing the step."""
import json, logging, os, sys
sys.dont_write_bytecode = True  # no __pycache__ beside the example
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
import lambda_function  # noqa: E402
lambda_function.lambda_handler(json.load(sys.stdin), None)
