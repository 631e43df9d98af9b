"""The DSPy side of bench/peers.ts: zero-shot, BootstrapFewShot and optimized predictions on one task
against an OpenAI-compatible endpoint (the proxy in front of `kkachi model serve`; one base URL per
phase, so the proxy counts each phase's calls and tokens). The driver scores the predictions, the same
way for every system. Reads the task as JSON (--task), writes one JSON result (--out); stdout is left to
DSPy, whose BootstrapFewShot prints there.

By hand: python bench/peer_dspy.py --task FILE --out FILE [--adapter json|chat|xml]
"""

import argparse
import json
import time
from typing import Literal

import dspy
from dspy.adapters.json_adapter import JSONAdapter
from dspy.adapters.xml_adapter import XMLAdapter

ADAPTERS = {
    # DSPy's default: ChatAdapter, which retries a reply it cannot parse once with JSONAdapter.
    "chat": lambda: dspy.ChatAdapter(),
    # The bench's choice for small models: one short JSON reply per call, no second call on a failed parse.
    "json": lambda: JSONAdapter(),
    "xml": lambda: XMLAdapter(),
}


def normalize(text):
    """SQuAD's answer normalisation, for the bootstrap metric (the driver scores the test rows itself)."""
    import re
    import string

    text = "".join(ch for ch in str(text).lower() if ch not in set(string.punctuation))
    text = re.sub(r"\b(a|an|the)\b", " ", text)
    return " ".join(text.split())


def token_f1(prediction, gold):
    pred, ref = normalize(prediction).split(), normalize(gold).split()
    if not pred or not ref:
        return float(pred == ref)
    common = sum(min(pred.count(t), ref.count(t)) for t in set(pred))
    if common == 0:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def make_signature(task):
    fields = {name: (str, dspy.InputField()) for name in task["inputs"]}
    # Literal types for labels: DSPy validates and lists the choices in its prompt.
    output_type = Literal[tuple(task["labels"])] if task["labels"] else str
    fields[task["output"]] = (output_type, dspy.OutputField())
    return dspy.make_signature(fields)  # default instructions, as Kkachi has with empty ones


def make_metric(task):
    output = task["output"]
    if task["labels"]:
        # Lenient like Kkachi's labelAccuracy: case and surrounding white space do not matter.
        return lambda example, prediction, trace=None: float(str(prediction.get(output, "")).strip().lower() == example[output])
    # Kkachi's token_f1 passes at 0.5; DSPy keeps a bootstrapped trace whose metric value is truthy.
    return lambda example, prediction, trace=None: max(token_f1(prediction.get(output, ""), a) for a in example["answers"]) >= 0.5


def to_examples(task, rows):
    return [dspy.Example(**row["inputs"], **{task["output"]: row["output"]}, answers=row["answers"]).with_inputs(*task["inputs"]) for row in rows]


def lm_for(task, url):
    # No response cache at all, so every prediction below is a real LM call.
    return dspy.LM(f"openai/{task['model']}", api_base=url, api_key="unused", temperature=0.0, max_tokens=task["maxTokens"], cache=False)


def predict_all(program, task, rows, url):
    started = time.perf_counter()
    predictions = []
    with dspy.context(lm=lm_for(task, url)):
        for example in rows:
            try:
                answer = program(**example.inputs()).get(task["output"])
                predictions.append(None if answer is None else str(answer))
            except Exception:  # noqa: BLE001 - an unparsable reply is a missing answer, as in dspy.Evaluate
                predictions.append(None)
    return {"seconds": time.perf_counter() - started, "predictions": predictions}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--task", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--adapter", choices=sorted(ADAPTERS), default="json")
    args = parser.parse_args()
    with open(args.task, encoding="utf-8") as f:
        task = json.load(f)
    trainset, testset = to_examples(task, task["train"]), to_examples(task, task["test"])
    urls = task["urls"]

    dspy.configure_cache(enable_disk_cache=False, enable_memory_cache=False)
    dspy.configure(adapter=ADAPTERS[args.adapter]())
    student = dspy.Predict(make_signature(task))

    zero_shot = predict_all(student, task, testset, urls["zeroShot"])

    started = time.perf_counter()
    demos = task["maxDemos"]
    # max_errors above the set size: a teacher reply that does not parse is a failed trace, not the end of the compile.
    optimizer = dspy.BootstrapFewShot(metric=make_metric(task), max_bootstrapped_demos=demos, max_labeled_demos=demos, max_errors=len(trainset) + 1)
    with dspy.context(lm=lm_for(task, urls["compile"])):
        optimized = optimizer.compile(student, trainset=trainset)
    found = optimized.predictors()[0].demos
    augmented = sum(1 for d in found if d.get("augmented"))
    compile_phase = {"seconds": time.perf_counter() - started, "demos": len(found), "note": f"{augmented} bootstrapped + {len(found) - augmented} labelled"}

    optimized_phase = predict_all(optimized, task, testset, urls["optimized"])
    how = f"{type(ADAPTERS[args.adapter]()).__name__}; max_tokens={task['maxTokens']}; BootstrapFewShot({demos} bootstrapped, {demos} labelled, 1 round)"
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump({"version": dspy.__version__, "how": how, "zeroShot": zero_shot, "compile": compile_phase, "optimized": optimized_phase}, f)


if __name__ == "__main__":
    main()
