"""Intake: find, unpack, match and repair submissions (the pipeline's first step).

``find``     list a submissions folder by student; list one entry's files (folder or zip)
``repair``   read a notebook leniently; rebuild it against the release; recognise renames
``student``  import one student: match files to notebooks, repair, write ``submitted/``
"""
