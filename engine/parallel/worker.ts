/** Placeholder until multi-core replay lands (issue 5). */
export {};
