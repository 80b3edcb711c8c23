"""The render farm: templates -> plan -> jobs -> Blender workers -> clips and labels -> a dataset folder.

`core` (plain Python: template, plan, scene, label, geometry), `templates` (the library), `bodies` (baked:
what render nodes load; baking: anny, torch), `blender` (the only bpy user: the render adapter),
`executors` (local pool, Ray, Slurm), `dataset` (the output folder, verify, report), `pipeline` and `cli`
(the `synthact` command). docs/architecture.md draws the data path and the import rules.
"""
