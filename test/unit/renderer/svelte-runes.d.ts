// The runes ($state, …) of the renderer's .svelte.ts state modules, for the type check of the tests that import them.
/// <reference types="svelte" />
