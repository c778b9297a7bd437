/** Placeholder until `ts-engine export` lands (issue 3). */
export async function exportCommand(_argv: string[]): Promise<number> {
  process.stderr.write('ts-engine export is not available in this build yet\n');
  return 1;
}
