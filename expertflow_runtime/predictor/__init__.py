"""The routing-path predictor (``model``) and its training from recorded traces (``training``)."""
