// Mocks must be in place before the program is imported.
import { fakeOperatorNetwork, installRecordingMocks } from "./harness";

installRecordingMocks();
fakeOperatorNetwork();
