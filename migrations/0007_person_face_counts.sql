-- Up Migration

-- Persons carry their face count, so the people list sorts and pages by it through an index
-- instead of counting every face of the library on each request (100k faces: seconds).
-- Statement-level triggers keep it exact with one grouped update of the persons a statement
-- touched, however many faces it changed (a clustering run moves thousands at once). Each
-- locks those persons in id order first, so concurrent statements wait instead of deadlocking.
-- (Transition tables are visible only in the trigger's own function: one function per event.)
ALTER TABLE persons ADD COLUMN face_count integer NOT NULL DEFAULT 0 CONSTRAINT persons_face_count_check CHECK (face_count >= 0);
UPDATE persons p SET face_count = c.faces
  FROM (SELECT person_id, count(*)::int AS faces FROM faces WHERE person_id IS NOT NULL GROUP BY person_id) c
  WHERE c.person_id = p.id;

CREATE FUNCTION persons_count_inserted_faces() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM persons p WHERE p.id IN (SELECT person_id FROM new_faces) ORDER BY p.id FOR NO KEY UPDATE;
  UPDATE persons p SET face_count = p.face_count + d.faces
    FROM (SELECT person_id, count(*)::int AS faces FROM new_faces WHERE person_id IS NOT NULL GROUP BY person_id) d
    WHERE p.id = d.person_id;
  RETURN NULL;
END $$;

CREATE FUNCTION persons_count_deleted_faces() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM persons p WHERE p.id IN (SELECT person_id FROM old_faces) ORDER BY p.id FOR NO KEY UPDATE;
  UPDATE persons p SET face_count = p.face_count - d.faces
    FROM (SELECT person_id, count(*)::int AS faces FROM old_faces WHERE person_id IS NOT NULL GROUP BY person_id) d
    WHERE p.id = d.person_id;
  RETURN NULL;
END $$;

-- Fires for every UPDATE of faces (PostgreSQL allows no column list with transition tables),
-- so it first narrows the statement's rows to the faces whose person changed.
CREATE FUNCTION persons_count_moved_faces() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM 1 FROM persons p
    WHERE p.id IN (
      SELECT unnest(ARRAY[o.person_id, n.person_id]) FROM old_faces o JOIN new_faces n ON n.id = o.id
      WHERE o.person_id IS DISTINCT FROM n.person_id)
    ORDER BY p.id FOR NO KEY UPDATE;
  IF NOT FOUND THEN
    RETURN NULL; -- no face changed person (or only persons deleted by this statement)
  END IF;
  UPDATE persons p SET face_count = p.face_count + d.change
    FROM (
      SELECT person_id, sum(change)::int AS change FROM (
        SELECT o.person_id, -1 AS change FROM old_faces o JOIN new_faces n ON n.id = o.id
          WHERE o.person_id IS NOT NULL AND o.person_id IS DISTINCT FROM n.person_id
        UNION ALL
        SELECT n.person_id, 1 FROM old_faces o JOIN new_faces n ON n.id = o.id
          WHERE n.person_id IS NOT NULL AND o.person_id IS DISTINCT FROM n.person_id
      ) changes
      GROUP BY person_id HAVING sum(change) <> 0
    ) d
    WHERE p.id = d.person_id;
  RETURN NULL;
END $$;

CREATE TRIGGER faces_count_inserted AFTER INSERT ON faces
  REFERENCING NEW TABLE AS new_faces FOR EACH STATEMENT EXECUTE FUNCTION persons_count_inserted_faces();
CREATE TRIGGER faces_count_deleted AFTER DELETE ON faces
  REFERENCING OLD TABLE AS old_faces FOR EACH STATEMENT EXECUTE FUNCTION persons_count_deleted_faces();
CREATE TRIGGER faces_count_moved AFTER UPDATE ON faces
  REFERENCING OLD TABLE AS old_faces NEW TABLE AS new_faces FOR EACH STATEMENT EXECUTE FUNCTION persons_count_moved_faces();

-- The people list by face count (keyset pages) and by name.
CREATE INDEX persons_owner_faces_idx ON persons (owner_id, (-face_count), id);
CREATE INDEX persons_owner_name_idx ON persons (owner_id, (name IS NULL), lower(coalesce(name, '')), id);
-- A person's faces best first (the order of the person's face pages): the default cover is the first.
CREATE INDEX faces_person_quality_idx ON faces (person_id, (-quality), id) WHERE person_id IS NOT NULL;

-- Down Migration
DROP INDEX faces_person_quality_idx;
DROP INDEX persons_owner_name_idx;
DROP INDEX persons_owner_faces_idx;
DROP TRIGGER faces_count_moved ON faces;
DROP TRIGGER faces_count_deleted ON faces;
DROP TRIGGER faces_count_inserted ON faces;
DROP FUNCTION persons_count_moved_faces();
DROP FUNCTION persons_count_deleted_faces();
DROP FUNCTION persons_count_inserted_faces();
ALTER TABLE persons DROP COLUMN face_count;
