"""Build-time tools, run from a checkout (never installed): the pose vocabulary and the families of the
built-in templates (`authoring`, `families/`), the script that authors them through the Blender add-on
(`author_templates`, `make templates`) and the one that renders the artists' figures (`artist_figures`)."""
