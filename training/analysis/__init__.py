"""Analyses of datasets and models: scene/object bias."""
