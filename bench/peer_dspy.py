"""The DSPy side of bench/peer-dspy.ts: zero-shot, BootstrapFewShot and optimized evaluation with DSPy's
default adapter (ChatAdapter, which falls back to JSONAdapter when a reply does not parse) against an
OpenAI-compatible endpoint. Reads the data as JSON and writes one JSON result to --out (stdout is left
to DSPy, whose BootstrapFewShot prints there).

Run by the driver; by hand: python bench/peer_dspy.py --base-url URL --model NAME --data FILE --max-tokens N --out FILE
"""

import argparse
import json
import time
from typing import Literal

import dspy
from dspy.adapters.json_adapter import JSONAdapter
from dspy.utils.callback import BaseCallback


class Sentiment(dspy.Signature):
    # No docstring: DSPy then writes its default objective, as Kkachi does for empty instructions.
    text: str = dspy.InputField()
    sentiment: Literal["positive", "negative"] = dspy.OutputField()


class Counter(BaseCallback):
    """LM calls, and per adapter class the calls it formatted and the replies it parsed. Every ChatAdapter
    failure (unparsable or empty reply) becomes one JSONAdapter retry, so JSONAdapter calls count them.

    DSPy wraps `format`/`parse` with callbacks once per subclass, so JSONAdapter's inherited `format`
    reports twice, nested: only the outermost event of a nest is counted."""

    def __init__(self):
        self.reset()
        self._depth = {"format": 0, "parse": 0}
        self._parsing = []

    def reset(self):
        self.lm_calls = 0
        self.adapters = {"ChatAdapter": {"calls": 0, "parsed": 0}, "JSONAdapter": {"calls": 0, "parsed": 0}}

    def snapshot(self):
        return {"lmCalls": self.lm_calls, "adapters": json.loads(json.dumps(self.adapters))}

    @staticmethod
    def _name(adapter):
        # JSONAdapter subclasses ChatAdapter, so test it first.
        return "JSONAdapter" if isinstance(adapter, JSONAdapter) else "ChatAdapter"

    def on_lm_start(self, call_id, instance, inputs):
        self.lm_calls += 1

    def on_adapter_format_start(self, call_id, instance, inputs):
        if self._depth["format"] == 0:
            self.adapters[self._name(instance)]["calls"] += 1
        self._depth["format"] += 1

    def on_adapter_format_end(self, call_id, outputs, exception=None):
        self._depth["format"] -= 1

    def on_adapter_parse_start(self, call_id, instance, inputs):
        self._parsing.append(self._name(instance))

    def on_adapter_parse_end(self, call_id, outputs, exception=None):
        adapter = self._parsing.pop()
        if exception is None and not self._parsing:
            self.adapters[adapter]["parsed"] += 1


def label_match(example, prediction, trace=None):
    # Lenient like Kkachi's labelAccuracy: case and surrounding whitespace do not matter.
    return float(str(prediction.get("sentiment", "")).strip().lower() == example.sentiment)


def to_examples(rows):
    return [dspy.Example(text=r["text"], sentiment=r["sentiment"]).with_inputs("text") for r in rows]


def timed(counter, run):
    counter.reset()
    started = time.perf_counter()
    value = run()
    return value, {"seconds": time.perf_counter() - started, **counter.snapshot()}


def evaluate(program, devset, counter):
    # max_errors above the set size: a reply that does not parse scores 0 instead of aborting the run
    # (DSPy's default of 10 stops the evaluation after the tenth unparsed reply).
    evaluator = dspy.Evaluate(devset=devset, metric=label_match, num_threads=1, max_errors=len(devset) + 1, display_progress=False)
    result, stats = timed(counter, lambda: evaluator(program))
    scores = [score for _, _, score in result.results]
    answers = [str(prediction.get("sentiment", "")).strip().lower() for _, prediction, _ in result.results]
    unparsed = sum(1 for _, prediction, _ in result.results if "sentiment" not in prediction)
    return {"accuracy": sum(scores) / len(scores), "n": len(scores), "unparsed": unparsed, "positive": answers.count("positive"), **stats}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--base-url", required=True)
    parser.add_argument("--model", required=True)
    parser.add_argument("--data", required=True)
    parser.add_argument("--max-tokens", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    with open(args.data, encoding="utf-8") as f:
        data = json.load(f)
    trainset, devset = to_examples(data["train"]), to_examples(data["dev"])

    # No response cache at all, so every prediction below is a real LM call.
    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    counter = Counter()
    lm = dspy.LM(f"openai/{args.model}", api_base=args.base_url, api_key="unused", temperature=0.0, max_tokens=args.max_tokens, cache=False)
    dspy.configure(lm=lm, callbacks=[counter])  # no adapter configured: DSPy's default ChatAdapter
    student = dspy.Predict(Sentiment)

    # Warm-up outside the timings: lazy imports, HTTP pool, the server's prompt cache.
    try:
        student(text=trainset[0].text)
    except Exception:
        pass  # an unparsable warm-up reply is expected from a 135M model; only the timing matters here

    zero_shot = evaluate(student, devset, counter)
    # max_errors as above: a teacher reply that does not parse is a failed trace, not the end of the compile.
    optimizer = dspy.BootstrapFewShot(metric=label_match, max_bootstrapped_demos=4, max_labeled_demos=4, max_errors=len(trainset) + 1)
    optimized, compile_stats = timed(counter, lambda: optimizer.compile(student, trainset=trainset))
    demos = optimized.predictors()[0].demos
    compile_stats["demos"] = len(demos)
    compile_stats["augmented"] = sum(1 for d in demos if d.get("augmented"))
    compile_stats["labels"] = [d.sentiment for d in demos]
    optimized_eval = evaluate(optimized, devset, counter)

    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"dspy": dspy.__version__, "zeroShot": zero_shot, "compile": compile_stats, "optimized": optimized_eval}, f)


if __name__ == "__main__":
    main()
