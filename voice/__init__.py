"""Voice guidance and voice answers, fully offline.

Nothing here imports Qt widgets: what to say (`script`), which words a screen
accepts and what they mean (`grammar`, `phrases`), speech synthesis to WAV
files with a cache (`tts`), recognition models (`models`) and recognition
(`recognizer`) are plain Python, tested without a display. The QtMultimedia
microphone adapter lives apart in `voice.audio_qt`; the QML-facing controller
is `ui.voice_bridge.VoiceController`.
"""
