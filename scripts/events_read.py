"""Reads a TensorBoard event file with TF Python and prints its summaries as JSON.

Used by tfmodel/summary_test.go and train/samples_test.go to check that Go-written events are what TensorBoard reads.
Usage: python scripts/events_read.py EVENT_FILE
"""
import base64
import json
import sys

import tensorflow as tf

# WriteScalarSummary / WriteImageSummary write classic summaries: simple_value and
# encoded images (one value per image, tagged "<tag>/image/<i>"), as tf.compat.v1.summary did.
out = []
for ev in tf.compat.v1.train.summary_iterator(sys.argv[1]):
    for v in ev.summary.value:
        rec = {"step": ev.step, "tag": v.tag}
        kind = v.WhichOneof("value")
        rec["kind"] = kind
        if kind == "simple_value":
            rec["value"] = v.simple_value
        elif kind == "image":
            rec["width"], rec["height"] = v.image.width, v.image.height
            rec["png"] = v.image.encoded_image_string[:8] == b"\x89PNG\r\n\x1a\n"
            rec["encoded"] = base64.b64encode(v.image.encoded_image_string).decode("ascii")
        out.append(rec)
print(json.dumps(out))
