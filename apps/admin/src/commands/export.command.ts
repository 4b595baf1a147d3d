import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Repositories, sha256OfFile } from '@facecloud/storage';
import { UsageError, parseCommandArgs, userIdArg, withDatabase, type AdminCommand } from '../command';
import { listFiles } from '../import/folder-import';

/** SHA-256 → path (relative to `folder`) of every file under it. */
async function pathsByContent(folder: string): Promise<Map<string, string>> {
  const files = await listFiles(folder).catch(() => {
    throw new UsageError(`--folder: not a readable folder: ${folder}`);
  });
  const paths = new Map<string, string>();
  for (const file of files) {
    const sha256 = await sha256OfFile(join(folder, file));
    if (!paths.has(sha256)) paths.set(sha256, file);
  }
  return paths;
}

export const exportCommand: AdminCommand = {
  name: 'export',
  synopsis: '[--user ID] [--out FILE] [--folder DIR]',
  summary:
    "the user's persons as JSON: names, and each face's box with the photo it is on (name, id, SHA-256);\n" +
    'with --folder, also the path of that photo in DIR (found by content, e.g. the folder imported); stdout or FILE',
  async run(argv) {
    const { values } = parseCommandArgs(argv, { user: { type: 'string' }, out: { type: 'string' }, folder: { type: 'string' } });
    const pathOf = values.folder ? await pathsByContent(values.folder) : undefined;
    const userId = userIdArg(values.user);
    const persons = await withDatabase((database) => new Repositories().forOwner(database.pool, userId).persons.export());
    const document = {
      userId,
      exportedAt: new Date().toISOString(),
      persons: persons.map((person) => ({
        ...person,
        faceCount: person.faces.length,
        faces: pathOf ? person.faces.map((face) => ({ ...face, photoPath: pathOf.get(face.photoSha256) ?? null })) : person.faces,
      })),
    };
    const json = `${JSON.stringify(document, null, 2)}\n`;
    if (values.out) {
      await writeFile(values.out, json);
      const faces = persons.reduce((sum, person) => sum + person.faces.length, 0);
      console.error(`exported ${persons.length} person(s) with ${faces} face(s) of ${userId} to ${values.out}`);
    } else process.stdout.write(json);
    return 0;
  },
};
