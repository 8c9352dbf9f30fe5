import json

import numpy as np

from tinynet.gan import metrics
from tinynet.models import load_model

z = np.random.default_rng(2).standard_normal((5000, 100)).astype(np.float32)
clfs = {
    "lenet 20 epochs (99.25%)": "runs/lenet_mnist/model.tnz",
    "lenet 2 epochs (session-1 scorer)": "runs/gan/classifier/mnist_lenet.tnz",
}
out = {}
for gname in ("generator_ema.tnz", "generator.tnz"):
    g = load_model("runs/gan/dcgan/" + gname, compile=False)
    im = metrics.to_unit(g.predict(z, batch_size=500))
    for cname, path in clfs.items():
        p = metrics.predict_probs(load_model(path), im)
        sh = np.bincount(p.argmax(1), minlength=10) / len(p)
        out[f"{gname} / {cname}"] = {
            "confident_share": round(float((p.max(1) >= 0.9).mean()), 4),
            "min_class_share": round(float(sh.min()), 4),
        }
print(json.dumps(out, indent=1))
