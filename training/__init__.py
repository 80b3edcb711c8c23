"""SynthAct's training package (issue 6: not built yet).

Will read rendered datasets (`classes.txt`, `train.txt`/`val.txt` of `path class_index`,
label JSON beside each clip) and train and evaluate video models with torch and
pytorchvideo. It never imports Blender.
"""
