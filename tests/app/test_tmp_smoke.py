from datetime import timedelta
from streamlit.testing.v1 import AppTest

def test_smoke(app_env):
    at = AppTest.from_file("pages/escalations.py", default_timeout=20).run()
    assert not at.exception, at.exception
    print([m.value for m in at.info])
    app_env.escalation(1, body="<script>alert(1)</script> <img src=x onerror=alert(2)> [link](javascript:alert(3))")
    app_env.escalation(2, age=timedelta(days=3), tier="business")
    app_env.link(2, "ENG-7")
    import streamlit as st; st.cache_data.clear()
    at = AppTest.from_file("pages/escalations.py", default_timeout=20).run()
    assert not at.exception, at.exception
    print([m.value for m in at.metric], at.dataframe[0].value if at.dataframe else None)
    print([m.value for m in at.markdown], [t.value for t in at.text], [c.value for c in at.code])
    print(at.selectbox(key="escalations.selected").value)
