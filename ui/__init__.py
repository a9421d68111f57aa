"""The Streamlit app (`sovereign ui`): a thin shell over `kernel.service`; see ui/app.py."""
