/** Placeholder until `ts-engine produce` lands (issue 4). */
export async function produceCommand(_argv: string[]): Promise<number> {
  process.stderr.write('ts-engine produce is not available in this build yet\n');
  return 1;
}
