"""DocChat's entry point: identity, navigation, nothing else. `streamlit run app.py`."""

from ui import router

router.route()
