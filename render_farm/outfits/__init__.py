"""What an actor wears: garments, hair and accessories as meshes of their own, built from a baked body for
each job at render time (numpy only).

Each piece is skinned to the body's canonical joints, so it follows every pose exactly as the body does:
- **shells** (shirts, trousers, shorts, shoes, an open jacket, a dress's bodice, short and curly hair): the
  body's own faces in a region, keeping the body's skin weights and UVs (patterns print on them as on the
  painted body), pushed out by the cloth's thickness along the normals of the posed surface, so the skin
  stays under them in every pose;
- **loose pieces** (skirts and a dress's skirt, long hair, a ponytail): generated tubes, sheets and cones
  whose weights blend from the joint they hang from towards the joints they follow (a skirt from the pelvis
  towards each thigh), the measured-cheap alternative to cloth simulation;
- **accessories** (glasses, a hat, a bag, a watch): primitives on the head, the hip or the wrist.

Positions come from the body in the canonical T-pose (arms along +-X, facing -Y, feet on the ground).

Modules: `pieces` (the piece, the landmarks and shapes pieces are built from), `garments`, `hairstyles`,
`accessories`, and `fit` (checks that skin stays under cloth, for tests and benchmarks).
"""

from __future__ import annotations

from render_farm.bodies.baked.body import BakedBody
from render_farm.outfits.accessories import ACCESSORIES, accessory
from render_farm.outfits.garments import BOTTOMS, TOPS, garment, hidden_body_faces
from render_farm.outfits.hairstyles import GUIDE_POINTS, HAIR_STYLES, HairGuides, hair, hair_guides, strand_guides
from render_farm.outfits.pieces import OutfitPiece

__all__ = ["ACCESSORIES", "BOTTOMS", "GUIDE_POINTS", "HAIR_STYLES", "TOPS", "HairGuides", "OutfitPiece", "accessory",
           "garment", "hair", "hair_guides", "hidden_body_faces", "outfit_pieces", "strand_guides"]


def outfit_pieces(body: BakedBody, outfit) -> list[OutfitPiece]:
    """Every piece a job's outfit (jobs.OutfitParams) puts on this body, innermost first."""
    pieces: list[OutfitPiece] = []
    if outfit.dress:
        pieces += garment(body, "dress")
    else:
        if outfit.top != "none":
            pieces += garment(body, outfit.top)
        if outfit.bottom != "none":
            pieces += garment(body, outfit.bottom)
    if outfit.jacket:
        pieces += garment(body, "jacket")
    if outfit.shoes:
        pieces += garment(body, "shoes")
    pieces += hair(body, outfit.hair, strands=outfit.hair_geometry == "curves")
    pieces += [accessory(body, kind) for kind in outfit.accessories]
    return pieces
