"""Seeing backprop at work: pictures of the recorded graph and a per-op profiler.

g = tn.viz.graph(loss, show_values=True)      # a Graph: g.to_dot(), g.render("loss.png")
tn.viz.plot_model(model).render("model.png")  # the layers and their shapes (Keras's plot_model)
with tn.profile() as prof:                    # every op's forward and backward, timed
    step()
print(prof.table(group_by="layer")); prof.export_chrome_trace("trace.json")
"""

from .graph import Graph, graph, plot_model, record_layers, retain_grads
from .profiler import Profiler, profile

__all__ = ["Graph", "graph", "plot_model", "record_layers", "retain_grads", "Profiler", "profile"]
