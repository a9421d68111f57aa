"""ExpertFlow runtime: MoE inference with expert offloading. Stands alone (no project imports).

Layout (bookkeeping in ids, tensors only where named):

* ``presets``     model shapes (full-size and tiny) and hardware profiles; ``from_name``
* ``plan``        the typed Plan / ExecResult / CacheView between policy and executor (pure)
* ``policies``    pure caching policies and their registry; ``make_policy(name, **kw)``
* ``trace``       routing-trace file format (``RoutingTrace``)
* ``adapters``    transformers 5 MoE models: config, weights, the offloaded experts module
* ``store``       host copies of every expert (pinned with CUDA)
* ``links``       none / emulated:<profile> / cuda copy mechanics
* ``executor``    the device slot pool; carries out plans
* ``moe_layer``   routing -> plan -> execute -> update, per MoE layer
* ``engine``      batched prefill + greedy decode with KV cache, metrics, trace recording
* ``training``    ``sovereign runtime train`` (tiny models on the stdlib's own sources)
* ``bench``       ``sovereign runtime bench``; ``cli`` the typer command group
"""
