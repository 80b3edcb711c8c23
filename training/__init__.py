"""SynthAct's training package: reads rendered datasets (`classes.txt`, `train.txt`/`val.txt` of
`path class_index`) and real ones in their published layouts, and pretrains, fine-tunes, linear-probes and
evaluates pytorchvideo models on them, with the scene/object-bias analysis (docs/training.md).

It never imports Blender or the render farm: the only SynthAct code it shares is the small `synthact`
package (errors, YAML reading, atomic writes); tests/core/test_architecture.py checks it.
"""
