"""SynthAct's Blender add-on (issue 4: not built yet).

The artists' extension will live here: add the canonical rig, author and label an
action, validate it and export it as template JSON that `render_farm` validates.
Until then templates are authored in code (`render_farm/templates/authoring.py`).
"""
