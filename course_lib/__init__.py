"""course_lib: models, datasets, features and trainers of the multimodal sentiment course.

Import the sub-modules you need (``course_lib.runtime``, ``course_lib.data``,
...); importing the package itself does nothing else.
"""

__version__ = "0.1.0"
