// Mocks must be in place before the program is imported.
import { installRecordingMocks } from "./harness";

installRecordingMocks();
