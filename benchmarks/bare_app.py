"""The baseline for benchmarks/api_throughput.py: Flask answering a constant JSON body."""

from flask import Flask

app = Flask(__name__)


@app.get("/bare")
def bare() -> dict[str, object]:
    return {"items": [], "total": 0, "page": 1, "per_page": 20}
