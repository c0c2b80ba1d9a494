"""The app: the pipeline that runs the stages (inventory → device → config → attribution →
store → notify) for ``poll-once`` and ``watch``. Only the app and the commands import it.
"""
