"""The run graph: LangGraph wiring (`graph`), its state (`state`), what every stage gets
(`context`, `clients`), and one module per stage in `nodes/`."""
