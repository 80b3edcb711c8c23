"""The render adapter, the only bpy user of the farm: each module applies one part of a job to the scene
(scene, body, materials, lighting, props, camera, render), `annotate` and `passes` measure ground truth in
the evaluated scene, and `worker` renders jobs into clips and labels. It never imports the add-on or torch."""
