"""ExpertFlow runtime: MoE inference with expert offloading. Stands alone (no project imports).

Layout (bookkeeping in ids, tensors only where named):

* ``presets``       model shapes (full-size and tiny) and hardware profiles; ``from_name``
* ``plan``          the typed Plan / ExecResult / CacheView between policy and executor (pure)
* ``policies/``     pure caching policies and their registry; ``make_policy(name, **kw)``
* ``predictor/``    the routing-path predictor (``model``) and how it is trained (``training``)
* ``scheduler``     the token scheduler (regroups a batch by predicted paths)
* ``execution/``    host copies of every expert (``store``), copy mechanics none / emulated /
                    cuda (``links``, ``emulation``) and the device slot pool that carries out
                    plans (``executor``)
* ``step_driver``   the decode rounds, every policy hook and the run counters, shared by the
                    engines and the simulator
* ``forwards``      the model's forward passes (plain and grouped micro-batches)
* ``adapters``      transformers 5 MoE models: config, weights, the offloaded experts module
* ``moe_layer``     routing -> plan -> execute -> update, per MoE layer
* ``engine``        batched prefill + greedy decode with KV cache, metrics, trace recording;
                    ``expertflow_engine`` the grouped (ExpertFlow) decode
* ``simulator/``    the trace-driven simulator: ``core`` (simulate), ``cost`` (the cost model),
                    ``workload`` (synthetic and recorded routes), ``run`` and ``cli``
* ``trace``         routing-trace file format (``RoutingTrace``); ``tracing`` records one
* ``training``      ``sovereign runtime train`` (tiny models on the stdlib's own sources)
* ``bench``         ``sovereign runtime bench``; ``cli`` the typer command group
"""
