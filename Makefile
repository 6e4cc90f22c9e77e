demo:
	bash scripts/demo.sh

test:
	bash scripts/test.sh

lint:
	.venv/bin/ruff check .

bench:
	.venv/bin/python -m bench --quick

.PHONY: demo test lint bench
