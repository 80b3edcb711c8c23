"""How jobs reach workers: one contract (`base`), the local process pool (`local`), Ray (`ray_cluster`),
Slurm job arrays (`slurm`) and the Blender binary as a worker (`blender_process`). No scene knowledge."""
