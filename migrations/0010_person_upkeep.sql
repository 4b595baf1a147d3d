-- Up Migration

-- Two person rules the database keeps, whoever writes (a clustering run, incremental
-- assignment, a merge or its undo, a moved or removed face, a deleted photo): a person without
-- faces does not exist, and a person's chosen cover is one of its faces. When a face leaves
-- its person (moved, unassigned or deleted), that person is removed if it has no face left
-- (face_count, migration 0007), else its cover is cleared if it was that face. Checked when the
-- transaction commits (deferred), so a writer may move a person's faces out and others in, in
-- any order, within one transaction.
CREATE FUNCTION persons_after_face_left() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  DELETE FROM persons WHERE id = OLD.person_id AND face_count = 0;
  IF NOT FOUND THEN
    UPDATE persons p SET cover_face_id = NULL
    WHERE p.id = OLD.person_id AND p.cover_face_id = OLD.id
      AND NOT EXISTS (SELECT 1 FROM faces f WHERE f.id = OLD.id AND f.person_id = p.id);
  END IF;
  RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER faces_left_person AFTER UPDATE OF person_id ON faces
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD.person_id IS NOT NULL AND OLD.person_id IS DISTINCT FROM NEW.person_id)
  EXECUTE FUNCTION persons_after_face_left();
CREATE CONSTRAINT TRIGGER faces_deleted_from_person AFTER DELETE ON faces
  DEFERRABLE INITIALLY DEFERRED FOR EACH ROW
  WHEN (OLD.person_id IS NOT NULL)
  EXECUTE FUNCTION persons_after_face_left();

-- Down Migration
DROP TRIGGER faces_deleted_from_person ON faces;
DROP TRIGGER faces_left_person ON faces;
DROP FUNCTION persons_after_face_left();
