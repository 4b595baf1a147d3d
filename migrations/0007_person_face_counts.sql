-- Up Migration

-- Persons carry their face count, so the people list sorts and pages by it through an index
-- instead of counting every face of the library on each request (100k faces: seconds).
-- Statement-level triggers keep it exact: per statement, the change of each person's count
-- is summed from the statement's old and new rows (a face that kept its person adds −1 and
-- +1), and only persons whose count changed are updated, one by one in id order, so that
-- concurrent statements wait for each other instead of deadlocking. Transition tables are
-- visible only in the trigger's own function: one function per event.
ALTER TABLE persons ADD COLUMN face_count integer NOT NULL DEFAULT 0 CONSTRAINT persons_face_count_check CHECK (face_count >= 0);
UPDATE persons p SET face_count = c.faces
  FROM (SELECT person_id, count(*)::int AS faces FROM faces WHERE person_id IS NOT NULL GROUP BY person_id) c
  WHERE c.person_id = p.id;

CREATE FUNCTION persons_count_inserted_faces() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed record;
BEGIN
  FOR changed IN
    SELECT person_id, count(*)::int AS change FROM new_faces WHERE person_id IS NOT NULL GROUP BY person_id ORDER BY person_id
  LOOP
    UPDATE persons SET face_count = face_count + changed.change WHERE id = changed.person_id;
  END LOOP;
  RETURN NULL;
END $$;

CREATE FUNCTION persons_count_deleted_faces() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed record;
BEGIN
  FOR changed IN
    SELECT person_id, count(*)::int AS change FROM old_faces WHERE person_id IS NOT NULL GROUP BY person_id ORDER BY person_id
  LOOP
    UPDATE persons SET face_count = face_count - changed.change WHERE id = changed.person_id;
  END LOOP;
  RETURN NULL;
END $$;

CREATE FUNCTION persons_count_moved_faces() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
  changed record;
BEGIN
  FOR changed IN
    SELECT person_id, sum(change)::int AS change FROM (
      SELECT person_id, -1 AS change FROM old_faces WHERE person_id IS NOT NULL
      UNION ALL
      SELECT person_id, 1 AS change FROM new_faces WHERE person_id IS NOT NULL
    ) changes
    GROUP BY person_id HAVING sum(change) <> 0 ORDER BY person_id
  LOOP
    UPDATE persons SET face_count = face_count + changed.change WHERE id = changed.person_id;
  END LOOP;
  RETURN NULL;
END $$;

CREATE TRIGGER faces_count_inserted AFTER INSERT ON faces
  REFERENCING NEW TABLE AS new_faces FOR EACH STATEMENT EXECUTE FUNCTION persons_count_inserted_faces();
CREATE TRIGGER faces_count_deleted AFTER DELETE ON faces
  REFERENCING OLD TABLE AS old_faces FOR EACH STATEMENT EXECUTE FUNCTION persons_count_deleted_faces();
-- Every UPDATE of faces (PostgreSQL allows no column list with transition tables); one that
-- leaves person_id alone sums to no change.
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
