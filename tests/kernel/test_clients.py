"""The pipeline's textual checker is built from the verifier's settings, so `verifier.text_model`
(in sovereign.toml or SOVEREIGN_VERIFIER__TEXT_MODEL) reaches the pipeline, not only `claims check`."""

from kernel.flow.clients import text_checker
from kernel.flow.context import StageContext
from kernel.settings import Settings


def test_the_pipeline_checker_uses_the_model_signal_the_settings_name(tmp_path):
    for model, loads_core in (("combiner", False), ("nli", True), ("hybrid", True)):
        settings = Settings(home=tmp_path, verifier={"text_model": model})
        checker = text_checker(StageContext(settings))
        assert (checker.nli is not None) is loads_core, model
        assert checker.settings.text_model == model
