"""The hand-written QA benchmark: questions an analyst would ask of documents every machine has."""
